/*
 * check.h — lede_index_check (declared in lede/index.h): the invariants of
 * an index, verified on one read snapshot.  Nothing internal to add.
 */
#ifndef LEDE_CHECK_H
#define LEDE_CHECK_H

#include "common.h"

#endif /* LEDE_CHECK_H */
