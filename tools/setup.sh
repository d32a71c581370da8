#!/usr/bin/env bash
# reglab's first command: installs every Debian package reglab needs, builds it, and runs the main
# job: four real training runs on Fashion-MNIST (no regularizer, dropout + max-norm, L2, batch
# norm; configs/core/), written to results/core/*.h5, then prints a comparison table.
#
#   bash tools/setup.sh             install, build, run the main job
#   bash tools/setup.sh --no-run    install and build only
#
# Environment: BUILD_DIR (default build), REGLAB_WERROR=ON to treat warnings as errors.
# Finished results are never overwritten: a run whose file exists is reported, not rerun.
set -euo pipefail
cd "$(dirname "$0")/.."
run_main=1
[ "${1:-}" = "--no-run" ] && run_main=0
build=${BUILD_DIR:-build}

packages=(
  cmake g++ make pkg-config git
  libxtensor-dev xtl-dev libxsimd-dev libxtensor-blas-dev libopenblas-dev
  libhdf5-dev hdf5-tools libyaml-cpp-dev libboost-program-options-dev doctest-dev zlib1g-dev
  dataset-fashion-mnist
  python3-h5py python3-numpy python3-pandas python3-matplotlib python3-scipy
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "reglab setup: installing ${missing[*]}"
  sudo_cmd=()
  [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Release -DREGLAB_WERROR="${REGLAB_WERROR:-OFF}" > /dev/null
cmake --build "$build" -j "$(nproc)"
echo "reglab setup: built $build/reglab"
[ $run_main -eq 1 ] || exit 0

mkdir -p results/core
for arm in baseline dropout-maxnorm l2 batch-norm; do
  if [ -f "results/core/$arm.h5" ]; then
    echo "reglab setup: results/core/$arm.h5 exists; keeping it (delete it to rerun)"
  else
    "$build/reglab" run "configs/core/$arm.yaml"
  fi
done
echo
/usr/bin/python3 tools/summarize.py results/core/baseline.h5 results/core/dropout-maxnorm.h5 \
  results/core/l2.h5 results/core/batch-norm.h5
