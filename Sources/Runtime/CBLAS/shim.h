#include <cblas.h>
// OpenBLAS extensions (declared in its cblas.h) are used to set the thread count.
