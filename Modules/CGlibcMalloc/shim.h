// glibc's malloc extensions, which Swift's Glibc module does not import.
#ifndef OLLA_CGLIBCMALLOC_SHIM_H
#define OLLA_CGLIBCMALLOC_SHIM_H

// Why: malloc_trim is declared in <malloc.h>, which the Glibc module map leaves out.
#include <malloc.h>

#endif
