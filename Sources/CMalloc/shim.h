#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
/* glibc's mallopt, which Swift's Glibc module leaves out (see Outbound.limitMallocArenas). */
#include <malloc.h>
static inline int cmalloc_limit_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
#endif
