# shellcheck shell=sh
# Sourced by ./mvnw, ./outpost and .ci/run: makes JAVA_HOME point at a JDK >= 21.
# Keeps JAVA_HOME when it is new enough; otherwise takes the newest JDK >= 21 found under
# /usr/lib/jvm (Linux), /Library/Java/JavaVirtualMachines (macOS) or the `java` on PATH,
# and says so on stderr. Fails with a clear message when there is none.

outpost_java_major() {
  # $1: a JDK home. Prints its feature release (17, 21, 25...) or nothing.
  if [ -r "$1/release" ]; then
    sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$1/release" | head -n 1
  elif [ -x "$1/bin/java" ]; then
    "$1/bin/java" -XshowSettings:properties -version 2>&1 \
      | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n 1
  fi
}

outpost_select_java() {
  outpost_required=21
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ]; then
    outpost_v=$(outpost_java_major "$JAVA_HOME")
    if [ -n "$outpost_v" ] && [ "$outpost_v" -ge "$outpost_required" ]; then
      return 0
    fi
  fi
  outpost_best=""
  outpost_best_v=0
  outpost_path_java=""
  if command -v java >/dev/null 2>&1; then
    outpost_path_java=$(dirname "$(dirname "$(readlink -f "$(command -v java)" 2>/dev/null || command -v java)")")
  fi
  # mvnw runs with `set -f`; globbing is needed for the search, so switch it on for the loop.
  case $- in *f*) outpost_noglob=1; set +f ;; *) outpost_noglob="" ;; esac
  for outpost_home in /usr/lib/jvm/* /Library/Java/JavaVirtualMachines/*/Contents/Home "$outpost_path_java"; do
    [ -n "$outpost_home" ] && [ -x "$outpost_home/bin/javac" ] || continue
    outpost_v=$(outpost_java_major "$outpost_home")
    [ -n "$outpost_v" ] || continue
    if [ "$outpost_v" -ge "$outpost_required" ] && [ "$outpost_v" -gt "$outpost_best_v" ]; then
      outpost_best=$outpost_home
      outpost_best_v=$outpost_v
    fi
  done
  [ -z "$outpost_noglob" ] || set -f
  if [ -z "$outpost_best" ]; then
    echo "Outpost needs a JDK $outpost_required or newer, and found none: JAVA_HOME is '${JAVA_HOME-}'," >&2
    echo "and no JDK >= $outpost_required is under /usr/lib/jvm or on PATH. Install one and set JAVA_HOME to it." >&2
    return 1
  fi
  if [ -n "${JAVA_HOME-}" ]; then
    echo "outpost: JAVA_HOME ($JAVA_HOME) is older than $outpost_required; using JDK $outpost_best_v at $outpost_best" >&2
  elif [ -z "${OUTPOST_QUIET_JAVA-}" ]; then
    echo "outpost: JAVA_HOME is not set; using JDK $outpost_best_v at $outpost_best" >&2
  fi
  JAVA_HOME=$outpost_best
  PATH="$JAVA_HOME/bin:$PATH"
  export JAVA_HOME PATH
  OUTPOST_QUIET_JAVA=1
  export OUTPOST_QUIET_JAVA
}

outpost_select_java || exit 1
