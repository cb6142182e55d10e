#ifndef CMALLOC_SHIM_H
#define CMALLOC_SHIM_H
/* glibc's mallopt, which Swift's Glibc module leaves out (see Outbound.limitMallocArenas); a no-op elsewhere. */
#ifdef __GLIBC__
#include <malloc.h>
static inline int cmalloc_limit_arenas(int arenas) {
    return mallopt(M_ARENA_MAX, arenas);
}
#else
static inline int cmalloc_limit_arenas(int arenas) {
    (void)arenas;
    return 0;
}
#endif
#endif
