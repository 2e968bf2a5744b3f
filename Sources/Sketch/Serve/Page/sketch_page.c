/* The page of `sketch serve`: its files embedded with C23 #embed (the toolchain's clang has it), so the
   server answers from this fixed table and never opens a file named by a request. */
#include "sketch_page.h"
#pragma clang diagnostic ignored "-Wc23-extensions"

static const unsigned char index_html[] = {
#embed "index.html"
};
static const unsigned char app_js[] = {
#embed "app.js"
};
static const unsigned char style_css[] = {
#embed "style.css"
};
static const unsigned char favicon_svg[] = {
#embed "favicon.svg"
};

static const sketch_page_file files[] = {
  {"index.html", "text/html; charset=utf-8", index_html, sizeof index_html},
  {"app.js", "text/javascript; charset=utf-8", app_js, sizeof app_js},
  {"style.css", "text/css; charset=utf-8", style_css, sizeof style_css},
  {"favicon.svg", "image/svg+xml", favicon_svg, sizeof favicon_svg},
};

size_t sketch_page_count(void) { return sizeof files / sizeof files[0]; }

const sketch_page_file *sketch_page_at(size_t index) {
  return index < sketch_page_count() ? &files[index] : 0;
}
