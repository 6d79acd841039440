/* Dates of the proleptic Gregorian calendar as days since 1970-01-01 (UTC), and back. */
#ifndef LIB_CALENDAR_H
#define LIB_CALENDAR_H

#include <stdint.h>

int64_t calendar_days_from_civil(int64_t y, unsigned int m, unsigned int d);
void calendar_civil_from_days(int64_t days, int64_t *y, unsigned int *m, unsigned int *d);

#endif
