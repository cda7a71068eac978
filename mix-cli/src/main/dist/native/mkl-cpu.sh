# Sourced by the launchers (bin/mix, ./mix): preloads mix4j_mkl_cpu.c, built here with the system's C
# compiler on first use, so that oneMKL inside the bundled libtorch runs its AVX-512 kernels on AMD
# processors instead of its generic ones (docs/performance.md, "oneMKL's code path": the float32
# matrix products of prefill, vision, attention and training run about 1.6-2x faster on Zen 5).
#   MIX_MKL_CPU=auto     (default) on x86-64 Linux with an AMD processor that has AVX-512
#   MIX_MKL_CPU=intel    on any x86-64 Linux processor
#   MIX_MKL_CPU=generic  never: oneMKL's own choice
# $1: the C source; $2: the folder the library is built into (a relative one is taken from the
# current folder). Without a C compiler it says so once (a marker file in $2) and runs without it.
mix_mkl_cpu() {
  local mode="${MIX_MKL_CPU:-auto}" src="$1" dir="$2" lib cc
  case "$mode" in
    generic) return 0 ;;
    auto | intel) ;;
    *) echo "mix: MIX_MKL_CPU=$mode: expected auto, intel or generic" >&2; exit 2 ;;
  esac
  [ "$(uname -s)/$(uname -m)" = "Linux/x86_64" ] || return 0
  if [ "$mode" = auto ]; then
    grep -q -m1 '^vendor_id[[:space:]]*: AuthenticAMD' /proc/cpuinfo 2>/dev/null || return 0
    grep -q -m1 '^flags.* avx512f' /proc/cpuinfo 2>/dev/null || return 0
  fi
  case "$dir" in /*) ;; *) dir="$PWD/$dir" ;; esac   # LD_PRELOAD resolves against each process's own folder
  lib="$dir/libmix4j_mkl_cpu.so"
  if [ ! -f "$lib" ] || [ "$src" -nt "$lib" ]; then
    cc="$(command -v cc || command -v gcc || true)"
    if [ -z "$cc" ]; then
      if [ ! -f "$dir/no-c-compiler" ]; then
        echo "mix: no C compiler (cc) to build $src: oneMKL keeps its generic kernels on this AMD processor," \
             "about half the matrix-product speed (docs/performance.md); install one (Debian: apt install gcc)," \
             "or set MIX_MKL_CPU=generic to silence this" >&2
        mkdir -p "$dir" 2>/dev/null && touch "$dir/no-c-compiler" 2>/dev/null
      fi
      return 0
    fi
    mkdir -p "$dir" && "$cc" -shared -fPIC -O2 -o "$lib.$$" "$src" && mv -f "$lib.$$" "$lib" || {
      rm -f "$lib.$$"
      echo "mix: could not build $lib; oneMKL keeps its generic kernels" >&2
      return 0
    }
    rm -f "$dir/no-c-compiler"
  fi
  export LD_PRELOAD="$lib${LD_PRELOAD:+:$LD_PRELOAD}"
}
