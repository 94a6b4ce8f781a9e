#!/usr/bin/env bash
# The GPU check of issue 13, in two steps, because the GPU machine reaches nothing outside and
# node_modules (700 MB) cannot travel (the device tool carries 64 MiB at most):
#
#   scripts/gpu-check.sh pack   here, once: writes .gpu-check/payload.tar.xz (~40 MB: this node
#                               binary, the webgpu test and the benchmark bundled with esbuild,
#                               Dawn's linux-x64 dawn.node, and Debian's Vulkan loader .debs) and
#                               adds /.gpu-check/ to .git/info/exclude.
#   scripts/gpu-check.sh run    on the GPU machine: unpacks to /tmp, brings the Vulkan loader if
#                               missing, points Vulkan at the NVIDIA driver if needed, runs the
#                               webgpu tests (XBM_REQUIRE_WEBGPU=1: no adapter is a failure there),
#                               then prints the benchmark table. About 2-4 minutes; each part has
#                               its own timeout, all well inside the tool's 10 minutes.
#
# Through the device tool (after `pack`; the command line is what the tool runs):
#   run(command: "bash scripts/gpu-check.sh run", carry: [".gpu-check"], timeout_s: 540)
# The log and the table also come back as $OUT/gpu-check.log and $OUT/gpu-table.md.
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PACK="$ROOT/.gpu-check"

pack() {
  set -e
  mkdir -p "$PACK" "$(git rev-parse --git-path info)"
  local exclude; exclude=$(git rev-parse --git-path info/exclude)
  grep -qx '/.gpu-check/' "$exclude" 2>/dev/null || echo '/.gpu-check/' >>"$exclude"
  local stage; stage=$(mktemp -d)
  # --ignore-annotations: tfjs-backend-cpu's package.json marks its Node entry side-effect free,
  # so esbuild would drop src/backend/tf.ts's bare import of it and the bundle would have no cpu
  # backend to compare with. Entry points: install Dawn's navigator.gpu before tfjs-backend-webgpu loads (it registers its
  # backend only when navigator.gpu exists), all in one bundle so every module shares one tfjs.
  local entry
  for entry in test bench; do
    local target='../test/backend/webgpu.test.js'
    [ "$entry" = bench ] && target='../scripts/gpu-check.js'
    cat >"$PACK/entry-$entry.ts" <<EOF
import { installNavigatorGpu } from '../src/backend/webgpu.js';
await installNavigatorGpu().catch((e: unknown) => console.error('gpu-check: Dawn did not load:', String(e)));
await import('@tensorflow/tfjs-backend-webgpu');
const m: { main?: () => Promise<number> } = await import('$target');
if (typeof m.main === 'function') process.exitCode = await m.main();
EOF
    node_modules/.bin/esbuild "$PACK/entry-$entry.ts" --bundle --platform=node --format=esm \
      --target=node20 --outfile="$stage/$entry.mjs" --log-level=warning --ignore-annotations \
      --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
      --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);"
  done
  mkdir -p "$stage/node_modules/webgpu/dist"
  cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$stage/node_modules/webgpu/"
  cp -r node_modules/webgpu/dist/linux-x64 "$stage/node_modules/webgpu/dist/"
  cp "$(command -v node)" "$stage/node"
  # The Vulkan loader and GL dispatch libraries (the device guide's list), in case the image lacks them.
  mkdir -p "$stage/debs"
  (cd "$stage/debs" && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1) \
    || echo "gpu-check: apt-get download failed; the GPU machine must have libvulkan.so.1 itself" >&2
  tar -C "$stage" -cJf "$PACK/payload.tar.xz" .
  rm -rf "$stage" "$PACK"/entry-*.ts
  du -h "$PACK/payload.tar.xz"
}

run() {
  local work=/tmp/xbm-gpu-check out="${OUT:-$PACK}"
  rm -rf "$work" && mkdir -p "$work" "$out"
  [ -f "$PACK/payload.tar.xz" ] || { echo "gpu-check: no payload; run 'scripts/gpu-check.sh pack' first and carry .gpu-check"; return 2; }
  tar -C "$work" -xJf "$PACK/payload.tar.xz" 2>/dev/null \
    || python3 -c 'import sys, tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2])' "$PACK/payload.tar.xz" "$work" || return 2
  if ! ldconfig -p 2>/dev/null | grep -q 'libvulkan.so.1'; then
    # Unpacked beside the payload, not into /: the loader finds them through LD_LIBRARY_PATH.
    for f in "$work"/debs/*.deb; do dpkg -x "$f" "$work/gl"; done
    export LD_LIBRARY_PATH="$work/gl/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  fi
  if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ] \
    && ! ls /usr/share/vulkan/icd.d/nvidia* /etc/vulkan/icd.d/nvidia* >/dev/null 2>&1; then
    export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
    export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
  fi
  {
    echo "== $(date -u +%FT%TZ) $(nvidia-smi -L 2>/dev/null | head -1); VK_DRIVER_FILES=${VK_DRIVER_FILES:-}; LD_LIBRARY_PATH=${LD_LIBRARY_PATH:-}"
    echo "== webgpu tests (against cpu, relative 1e-4)"
    (cd "$work" && XBM_REQUIRE_WEBGPU=1 timeout 240 ./node --test-reporter=spec test.mjs)
    local tests=$?
    echo "== webgpu tests exit $tests"
    echo "== benchmark"
    (cd "$work" && timeout 270 ./node bench.mjs --steps "${GPU_CHECK_STEPS:-10}" >"$out/gpu-table.md")
    local bench=$?
    cat "$out/gpu-table.md"
    echo "== benchmark exit $bench"
    [ $tests -eq 0 ] && [ $bench -eq 0 ]
  } 2>&1 | tee "$out/gpu-check.log"
  return "${PIPESTATUS[0]}"
}

case "${1:-}" in
  pack) pack ;;
  run) run ;;
  *) echo "usage: scripts/gpu-check.sh pack|run" >&2; exit 2 ;;
esac
