#!/bin/sh
# Checks register histories with Knossos through the Clojure CLI (tools.deps).
#
#   run.sh [--time-limit SECONDS] FILE-OR-DIRECTORY...
#
# Exit status:
#   0  every history is linearizable
#   1  some history is not linearizable
#   2  none is invalid, but some verdict is :unknown (Knossos ran out of time or
#      memory) or some file could not be checked; also a usage error
#   3  the Clojure CLI is not installed (no verdict)
#   4  the CLI could not resolve Knossos and its dependencies, e.g. Clojars is
#      unreachable (no verdict)
#
# The script uses only shell built-ins besides the CLI itself, so that it behaves the
# same under the minimal PATH a test or a harness may give it.

case "$0" in
    */*) here=${0%/*} ;;
    *) here=. ;;
esac

# The CLI reads deps.edn from the working directory, so the script moves beside it;
# relative history paths are made absolute first so that they still name the same files.
rewrite_next=yes
for arg do
    shift
    if [ "$rewrite_next" = yes ]; then
        case "$arg" in
            /* | -*) set -- "$@" "$arg" ;;
            *) set -- "$@" "$PWD/$arg" ;;
        esac
    else
        set -- "$@" "$arg"
    fi
    # The value after --time-limit is a number, not a path.
    if [ "$arg" = --time-limit ]; then rewrite_next=no; else rewrite_next=yes; fi
done

cd "$here" || {
    echo "run.sh: cannot enter $here" >&2
    exit 2
}

install_hint() {
    printf '%s\n' \
        "Install the Clojure CLI (tools.deps: the 'clojure' command that reads deps.edn), then" \
        "run this again; see https://clojure.org/guides/install_clojure (Linux: the" \
        "linux-install script from https://download.clojure.org; macOS: brew install" \
        "clojure/tools/clojure). A Java runtime must be on PATH as well." >&2
}

if ! command -v clojure >/dev/null 2>&1; then
    echo "run.sh: the Clojure CLI is not installed: no 'clojure' command on PATH." >&2
    install_hint
    exit 3
fi

# Some distributions ship a 'clojure' command that only starts a REPL (clojure.main)
# and knows nothing of deps.edn; the real CLI answers --version without starting a JVM.
version=$(clojure --version 2>&1)
case "$version" in
    *"Clojure CLI"*) ;;
    *)
        echo "run.sh: the 'clojure' command at $(command -v clojure) is not the Clojure CLI (tools.deps): 'clojure --version' answered: $version" >&2
        install_hint
        exit 3
        ;;
esac

# Resolve and download the dependencies first, apart from the check, so that a
# resolution failure is told apart from a verdict: both would otherwise exit 1.
if ! clojure -P -M:check >&2; then
    echo "run.sh: the Clojure CLI could not resolve Knossos and its dependencies (deps.edn): is https://repo.clojars.org reachable?" >&2
    exit 4
fi

exec clojure -M:check "$@"
