#!/usr/bin/env bash
# Creates a new service plugin from templates/plugin/: `make new-plugin NAME=x [DIR=plugins/x]`.
# NAME: lowercase letters, digits and '-', starting with a letter (it names the .so, the pod type,
# the plugin's logs and property scope). Refuses to overwrite an existing directory.
set -euo pipefail
name=${1:-}
dir=${2:-plugins/$name}
if ! [[ "$name" =~ ^[a-z][a-z0-9-]*$ ]]; then
  echo "new-plugin: NAME '$name' must be lowercase letters, digits and '-', starting with a letter" >&2
  exit 2
fi
if [ -e "$dir" ]; then
  echo "new-plugin: $dir already exists: choose another NAME or DIR" >&2
  exit 2
fi
here=$(cd "$(dirname "$0")/.." && pwd)
symbol=${name//-/_}
mkdir -p "$dir/scenarios"
subst() { sed -e "s/__NAME__/$name/g" -e "s/__SYMBOL__/$symbol/g" "$1" > "$2"; }
subst "$here/templates/plugin/PLUGIN.c" "$dir/$name.c"
subst "$here/templates/plugin/README.md" "$dir/README.md"
subst "$here/templates/plugin/scenarios/deploy.scn" "$dir/scenarios/deploy.scn"
echo "new-plugin: created $dir ($name.c, README.md, scenarios/deploy.scn)"
if [ "$dir" = "plugins/$name" ]; then
  echo "new-plugin: build it with 'make', try it with: bin/scheduler --plugin $dir/$name.so --scenario $dir/scenarios/deploy.scn"
fi
