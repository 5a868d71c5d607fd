/*
 * libdelta: a native Delta Lake engine. This umbrella header includes every
 * public header; each area also has its own (common.h, storage.h, ...).
 */
#ifndef DELTA_DELTA_H
#define DELTA_DELTA_H

#include <delta/common.h>
#include <delta/arrow.h>
#include <delta/columnar.h>
#include <delta/expr.h>
#include <delta/storage.h>
#include <delta/parquet.h>
#include <delta/table.h>
#include <delta/optimize.h>
#include <delta/vacuum.h>
#include <delta/maintenance.h>
#include <delta/dml.h>

#endif
