#ifndef SKETCH_SCALAR_SOURCE_H
#define SKETCH_SCALAR_SOURCE_H
/* The text of sketch_scalar.h, as the prelude of generated C (see sketch_scalar_source.c). */
const char* sk_scalar_source(void);
#endif
