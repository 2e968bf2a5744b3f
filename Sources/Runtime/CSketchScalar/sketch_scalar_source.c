/* The text of sketch_scalar.h, embedded at build time (C23 #embed, which the toolchain's clang has), so
   that generated C starts with exactly the functions the interpreter runs. */
#include "sketch_scalar_source.h"
#pragma clang diagnostic ignored "-Wc23-extensions"
static const char text[] = {
#embed "include/sketch_scalar.h"
  , 0};
const char* sk_scalar_source(void) { return text; }
