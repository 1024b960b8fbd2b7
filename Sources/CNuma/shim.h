// Tessel's view of libnuma (Debian: libnuma-dev).
#include <numa.h>
#include <numaif.h>
