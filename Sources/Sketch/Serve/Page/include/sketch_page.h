/* The files of `sketch serve`'s page, embedded in the executable at build time (sketch_page.c). */
#ifndef SKETCH_PAGE_H
#define SKETCH_PAGE_H
#include <stddef.h>

/// One file of the page: its name in the URL (without the leading slash), its media type and bytes.
typedef struct {
  const char *name;
  const char *type;
  const unsigned char *bytes;
  size_t size;
} sketch_page_file;

/// The number of files of the page.
size_t sketch_page_count(void);

/// The file at `index` (0 ..< sketch_page_count()).
const sketch_page_file *sketch_page_at(size_t index);

#endif
