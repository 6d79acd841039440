#!/usr/bin/env bash
# Build newlib 3.3 (Debian's newlib-source) as Umbra's freestanding libc.
#
#   usage: scripts/build-newlib.sh BUILD_DIR        (e.g. build/newlib)
#
# Produces BUILD_DIR/install/x86_64-elf/{lib/libc.a,include/}. Cached: exits at
# once if libc.a is already installed. Noisy output goes to BUILD_DIR/build.log.
#
# The host gcc/binutils serve as the x86_64-elf target toolchain, and
# everything is compiled with -mgeneral-regs-only, so libc.a holds no
# SSE/x87 code and the hypervisor never has to save guest FPU state around
# a libc call. Code that passes or returns float/double values cannot compile
# that way, so it is left out:
#
#   libm (whole library)       all floating point; also not merged into
#                              libc.a (frexp/ldexp/modf/isnan/... that newlib
#                              normally copies from libm into libc.a)
#   libc/stdlib:
#     strtod.c (strtod, strtof)  return double/float
#     wcstod.c (wcstod, wcstof)  return double/float
#     atof.c, atoff.c            return double/float
#     dtoa.c, mprec.c            double <-> decimal conversion core (only
#                                used by the float routines above)
#     __adjust.c, __exp10.c,     helpers returning double (used only by the
#     __ten_mu.c                 float routines)
#     dtoastub.c, ldtoa.c,       compile, but only serve the float code above
#     gdtoa-gethex.c,            and would be left with undefined references
#     gdtoa-hexnan.c             to mprec/dtoa; dropped so libc.a holds none
#     ecvtbuf.c, efgcvt.c        ecvt/fcvt/gcvt take double arguments
#     drand48.c, erand48.c       return double
#   libc/time:
#     difftime.c                 returns double
#
# Using any of these symbols in Umbra gives a link error, not silent SSE code.
# printf/scanf float support is off anyway (--disable-newlib-io-float).
set -euo pipefail

NEWLIB_TARBALL=${NEWLIB_TARBALL:-/usr/src/newlib/newlib-3.3.0.tar.xz}
TARGET=x86_64-elf

# libc objects (lib_a-NAME.o) that must not be built; see the list above.
EXCLUDE_STDLIB="strtod wcstod atof atoff dtoa mprec __adjust __exp10 __ten_mu
                dtoastub ldtoa gdtoa-gethex gdtoa-hexnan
                ecvtbuf efgcvt drand48 erand48"
EXCLUDE_TIME="difftime"

# No SSE, no x87, no red zone (interrupts run on the same stack), no PIC.
# -mcmodel stays at the default "small": Umbra is linked at 2 MiB.
TARGET_CFLAGS="-O2 -g -ffreestanding -fno-pie -fno-pic -mno-red-zone \
-mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables"

if [ $# -ne 1 ]; then
    echo "usage: $0 BUILD_DIR" >&2
    exit 2
fi

mkdir -p "$1"
BUILD_DIR=$(cd "$1" && pwd)   # configure needs absolute paths
SRC=$BUILD_DIR/src
OBJ=$BUILD_DIR/obj
INSTALL=$BUILD_DIR/install
LOG=$BUILD_DIR/build.log
LIBC=$INSTALL/$TARGET/lib/libc.a

if [ -f "$LIBC" ]; then
    echo "newlib: up to date ($LIBC)"
    exit 0
fi

fail() {
    echo "newlib: FAILED: $*" >&2
    if [ -s "$LOG" ]; then
        # With -j the first compiler error is often far above the tail.
        echo "---- first errors in $LOG ----" >&2
        grep -m 10 -E ' error: |\*\*\* ' "$LOG" >&2 || true
        echo "---- last lines of $LOG ----" >&2
        tail -n 25 "$LOG" >&2
    fi
    exit 1
}

# Run a noisy command with its output appended to the log.
logged() {
    "$@" >>"$LOG" 2>&1 || fail "$*"
}

# sed -i that fails if the expression changed nothing, so that a tarball
# whose Makefiles differ breaks the build loudly instead of silently.
patch_file() {
    local file=$1 expr=$2 before
    before=$(md5sum "$file")
    sed -E -i "$expr" "$file"
    [ "$(md5sum "$file")" != "$before" ] || fail "patch '$expr' did not apply to $file"
}

# Drop lib_a-NAME.$(OBJEXT) from a generated Makefile.in's object lists.
exclude_objects() {
    local file=$1 name
    shift
    for name in "$@"; do
        patch_file "$file" "s/(^|[[:space:]=])lib_a-${name}\.\\\$\(OBJEXT\)/\1/g"
    done
}

[ -f "$NEWLIB_TARBALL" ] || fail "$NEWLIB_TARBALL not found (apt-get install newlib-source)"

# A previous run that did not finish leaves no libc.a: start from scratch.
rm -rf "$SRC" "$OBJ" "$INSTALL"
mkdir -p "$SRC" "$OBJ"
: >"$LOG"
start=$(date +%s)
# Each stage's line carries the seconds since the start; the long compile
# says every 30 s how far it is (a silent terminal for minutes looks hung).
stage() {
    echo "newlib: [$(($(date +%s) - start))s] $*"
}
echo "newlib: first build: usually 3 to 6 minutes on two cores (about 1,000 objects); later builds reuse $INSTALL"
stage "extracting $(basename "$NEWLIB_TARBALL")"
# The tarball's top directory name varies (newlib-salsa, newlib-3.3.0).
tar -xf "$NEWLIB_TARBALL" -C "$SRC" --strip-components=1 || fail "cannot extract $NEWLIB_TARBALL"

stage "patching out libm and float-returning libc files"
NL=$SRC/newlib
# Patch Makefile.in (not .am): maintainer mode is off, so automake never runs.
patch_file "$NL/Makefile.in" 's/^SUBDIRS = libc libm /SUBDIRS = libc /'
patch_file "$NL/Makefile.in" 's/^(@USE_LIBTOOL_FALSE@toollib_LIBRARIES = )libm\.a /\1/'
patch_file "$NL/Makefile.in" 's/^(@USE_LIBTOOL_FALSE@libc\.a: libc\/libc\.a) libm\.a$/\1/'
patch_file "$NL/Makefile.in" '/\$\(AR\) x \.\.\/libm\.a \$\(MATHOBJS_IN_LIBC\)/d'
# shellcheck disable=SC2086 # word splitting of the lists is intended
exclude_objects "$NL/libc/stdlib/Makefile.in" $EXCLUDE_STDLIB
# shellcheck disable=SC2086
exclude_objects "$NL/libc/time/Makefile.in" $EXCLUDE_TIME

stage "configuring for $TARGET"
(
    cd "$OBJ"
    logged "$SRC/configure" \
        --target=$TARGET \
        --prefix="$INSTALL" \
        CC_FOR_TARGET=gcc \
        AS_FOR_TARGET=as \
        LD_FOR_TARGET=ld \
        AR_FOR_TARGET=ar \
        RANLIB_FOR_TARGET=ranlib \
        NM_FOR_TARGET=nm \
        OBJCOPY_FOR_TARGET=objcopy \
        OBJDUMP_FOR_TARGET=objdump \
        READELF_FOR_TARGET=readelf \
        STRIP_FOR_TARGET=strip \
        CFLAGS_FOR_TARGET="$TARGET_CFLAGS" \
        --disable-multilib \
        --disable-newlib-supplied-syscalls \
        --enable-newlib-nano-formatted-io \
        --enable-newlib-nano-malloc \
        --disable-newlib-io-float \
        --enable-newlib-retargetable-locking \
        --disable-newlib-fvwrite-in-streamio \
        --disable-newlib-wide-orient \
        --enable-lite-exit \
        --disable-newlib-unbuf-stream-opt
)

# Only the newlib target directory: libgloss (board support) is not wanted.
stage "building with $(nproc) jobs (log: $LOG)"
(
    while sleep 30; do
        stage "still compiling: $(find "$OBJ" -name '*.o' | wc -l) objects so far"
    done
) &
ticker=$!
trap 'kill "$ticker" 2>/dev/null || true' EXIT # also when the build fails
logged make -C "$OBJ" -j"$(nproc)" all-target-newlib
kill "$ticker" 2>/dev/null || true
trap - EXIT

BUILT=$OBJ/$TARGET/newlib/libc.a
[ -f "$BUILT" ] || fail "$BUILT was not produced"

stage "checking libc.a for SSE/x87 code and soft-float calls"
# (no grep -q: with pipefail, an early grep exit would SIGPIPE objdump and
# turn a match into a failed pipeline)
if objdump -d "$BUILT" | grep -E '%[xyz]mm[0-9]|%st\b' >/dev/null; then
    fail "libc.a contains SSE/x87 instructions"
fi
# Without SSE/x87, float arithmetic would become calls to libgcc soft-float
# helpers, which x86-64 libgcc does not provide.
SOFTFP=' U __((add|sub|mul|div|neg)[sdtx]f3|(cmp|eq|ne|lt|le|gt|ge|unord)[sdtx]f2'
SOFTFP+='|fix(uns)?[sdtx]f[sdt]i|float(un)?[sdt]i[sdtx]f|(extend|trunc)[sdtx]f[sdtx]f2)$'
if nm "$BUILT" | grep -E "$SOFTFP" >/dev/null; then
    fail "libc.a references soft-float helpers"
fi

stage "installing into $INSTALL"
logged make -C "$OBJ" install-target-newlib

[ -f "$LIBC" ] || fail "$LIBC was not installed"
stage "done"
