#!/usr/bin/env bash
# reglab's first command: installs every Debian package reglab needs, builds it, and runs the main
# job: the quickstart sweep (configs/quickstart.yaml) on Fashion-MNIST: five regularization arms
# (none, dropout, L2, batch norm, dropout + max-norm) x 3 seeds, about 5 minutes on 2 cores. The
# cells go to results/quickstart.cells/, the merged file to results/quickstart.h5, and the run ends
# with a table per arm (mean and standard deviation of test accuracy and of the generalisation gap).
#
#   bash tools/setup.sh             install, build, run the main job
#   bash tools/setup.sh --no-run    install and build only
#
# Environment: BUILD_DIR (default build), REGLAB_WERROR=ON to treat warnings as errors.
# Finished cells are never rerun or overwritten: rerunning the script resumes the sweep.
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
  r-cran-hdf5r
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

"$build/reglab" run configs/quickstart.yaml
echo
# The answer: per-arm statistics and paired comparisons with the no-regularizer arm, on the
# generalisation gap (does the regularizer reduce overfitting?) and on test accuracy.
"$build/reglab" report results/quickstart.h5 --metric gap_final
/usr/bin/python3 tools/plot.py results/quickstart.h5 --out results/quickstart-plots
