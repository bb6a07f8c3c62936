#!/usr/bin/env bash
# Builds alpnlab's container images from local files only: no registry is needed (none is reachable on
# alpnlab's own machines). Images FROM scratch hold exactly the files copied in, with the shared
# libraries they load found by ldd.
#
#   docker/build-images.sh runtime                  alpnlab/java-runtime:17-cds-local, jlink'd from this JDK
#   docker/build-images.sh mock-broker [JAR]        alpnlab/mock-broker:local on that runtime
#                                                   (JAR: mock-broker/target/mock-broker.jar)
#   docker/build-images.sh programs TAG PROGRAM...  a scratch image with these programs, e.g. a client
#                                                   under test: programs alpnlab/mosquitto-clients:local mosquitto_pub
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
top="$(dirname "$here")"
runtime_tag="alpnlab/java-runtime:17-cds-local"
broker_tag="alpnlab/mock-broker:local"

die() { echo "build-images.sh: $*" >&2; exit 2; }

# Copies each ELF file's shared libraries (and the dynamic loader) into the root file system.
copy_libraries() {
  local root="$1"; shift
  local file library
  for file in "$@"; do
    while read -r library; do
      [ -n "$library" ] || continue
      mkdir -p "$root$(dirname "$library")"
      cp -L --no-clobber "$library" "$root$library" 2>/dev/null || true
    done < <(ldd "$file" 2>/dev/null | grep -oE '/[^ ]+\.so[^ ]*' | sort -u)
  done
}

# docker build, quiet unless it fails (the legacy builder's deprecation notice is noise here).
docker_build() {
  local tag="$1" context="$2"; shift 2
  local log
  log="$(mktemp)"
  if ! docker build -t "$tag" "$@" "$context" > "$log" 2>&1; then
    cat "$log" >&2
    rm -f "$log"
    die "docker build of $tag failed"
  fi
  rm -f "$log"
  echo "built $tag"
}

build_scratch() {
  local tag="$1" root="$2"
  mkdir -p "$root/tmp"
  chmod 1777 "$root/tmp"
  printf 'FROM scratch\nCOPY rootfs/ /\nENV PATH=/opt/java/openjdk/bin:/usr/bin:/bin\n' > "$(dirname "$root")/Dockerfile"
  docker_build "$tag" "$(dirname "$root")"
}

runtime() {
  command -v jlink > /dev/null || die "jlink not found: a JDK 17 with jmods is needed (Debian: openjdk-17-jdk-headless)"
  local jar="${1:-$top/mock-broker/target/mock-broker.jar}"
  [ -f "$jar" ] || die "$jar not found: run mvn -B -q package -DskipTests first"
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  # The modules the broker needs, from its own classes, plus the service providers jdeps cannot see.
  local modules
  modules="$(jdeps --ignore-missing-deps --print-module-deps --multi-release 17 "$jar"),jdk.crypto.ec,jdk.localedata"
  local java_root="$work/rootfs/opt/java/openjdk"
  mkdir -p "$work/rootfs/opt/java"
  # With the JDK's own class-data-sharing archive: the broker image records its classes on top of it
  # (docker/mock-broker/Dockerfile), which the JVM refuses without a base archive.
  jlink --add-modules "$modules" --strip-debug --no-header-files --no-man-pages --compress=2 --generate-cds-archive \
      --output "$java_root"
  copy_libraries "$work/rootfs" "$java_root/bin/java" $(find "$java_root/lib" -name '*.so')
  build_scratch "$runtime_tag" "$work/rootfs"
}

mock_broker() {
  local jar="${1:-$top/mock-broker/target/mock-broker.jar}"
  [ -f "$jar" ] || die "$jar not found: run mvn -B -q package -DskipTests first"
  if ! docker image inspect "$runtime_tag" > /dev/null 2>&1; then
    runtime "$jar"
  fi
  local work
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  cp "$jar" "$work/mock-broker.jar"
  docker_build "$broker_tag" "$work" --build-arg JAVA_IMAGE="$runtime_tag" -f "$here/mock-broker/Dockerfile"
}

programs() {
  [ $# -ge 2 ] || die "usage: programs TAG PROGRAM..."
  local tag="$1"; shift
  local work program path
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' RETURN
  for program in "$@"; do
    path="$(command -v "$program")" || die "$program not found on this machine"
    path="$(readlink -f "$path")"
    mkdir -p "$work/rootfs/usr/bin"
    cp "$path" "$work/rootfs/usr/bin/$program"
    copy_libraries "$work/rootfs" "$path"
  done
  build_scratch "$tag" "$work/rootfs"
}

command -v docker > /dev/null || die "docker not found (Debian: docker.io)"
case "${1:-}" in
  runtime) shift; runtime "$@" ;;
  mock-broker) shift; mock_broker "$@" ;;
  programs) shift; programs "$@" ;;
  *) die "usage: build-images.sh runtime | mock-broker [JAR] | programs TAG PROGRAM..." ;;
esac
