/*
 * common.h — included first by every file in lib/: the public header, fixed-width
 * types and the few macros the whole library uses.  Header only.
 */
#ifndef LEDE_COMMON_H
#define LEDE_COMMON_H

#include "lede.h"

#include <assert.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define LEDE_MIN(a, b) ((a) < (b) ? (a) : (b))
#define LEDE_MAX(a, b) ((a) > (b) ? (a) : (b))
#define LEDE_UNUSED(x) ((void)(x))

#endif /* LEDE_COMMON_H */
