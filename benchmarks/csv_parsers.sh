#!/usr/bin/env bash
# Parse-only comparison of the CSV readers on the million-row file (a benchmark, not a test). Prints Markdown.
set -euo pipefail
cd "$(dirname "$0")/.."
file=$(mktemp --suffix=.csv)
trap 'rm -f "$file"' EXIT
python3 ../shared/tools/make_profiles.py 1000000 --seed 1 --out "$file" 2>/dev/null
echo "## CSV readers, parse only"
echo
echo "\`benchmarks/csv_parsers.sh\`: \`csv-parse-bench\` (release build) reads every row of \`make_profiles.py 1000000 --seed 1\`"
echo "and counts fields; no database work. SwiftCSV is not measured: it reads the whole file into memory."
echo
echo "| reader | rows | fields | time |"
echo "|---|---|---|---|"
.build/release/csv-parse-bench "$file" | while IFS=$'\t' read -r name rows fields time; do
  echo "| $name | ${rows% rows} | ${fields% fields} | $time |"
done
echo
echo "The import's goal is 3× sqlite3's \`.import\` (about 5 s here): CSV.swift alone would spend more than that parsing."
echo
