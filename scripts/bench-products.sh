#!/usr/bin/env bash
# The product table of docs/native.md ("Products"): scripts/bench-products.c built against Debian's
# OpenBLAS, BLIS (libblis-openmp-dev) and oneDNN (libdnnl-dev), and Sketch's own kernel
# (Sources/Codegen/CSketchGemm), run on one core. Installs the two libraries if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
for p in libblis-openmp-dev libdnnl-dev libopenblas-dev; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
out=.build/bench-products
mkdir -p "$(dirname "$out")"
cc -O3 -march=native -o "$out" scripts/bench-products.c Sources/Codegen/CSketchGemm/sketch_gemm.c \
  -I Sources/Codegen/CSketchGemm/include -I /usr/include/x86_64-linux-gnu/blis-openmp \
  $(pkg-config --libs openblas) -L /usr/lib/x86_64-linux-gnu/blis-openmp -lblis -ldnnl -lm
# OpenBLAS must come before BLIS (both export cblas_sgemm).
ldd "$out" | awk '/openblas|blis/ {print $1}' | head -2 | paste -sd' ' | grep -q '^libopenblas' \
  || { echo "error: $out does not load OpenBLAS before BLIS" >&2; exit 1; }
echo "machine: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), one core (OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-unset})"
OPENBLAS_NUM_THREADS=1 BLIS_NUM_THREADS=1 OMP_NUM_THREADS=1 DNNL_VERBOSE=0 "$out"
