#!/usr/bin/env bash
# `make deploy-check`: what needs helm or a Docker engine, on a machine that has them.
#
# - helm: lint the chart and render it with the default values and each values file of
#   helm/vectimus/ci/, and check that bad values are refused;
#   kubeconform, when on PATH too, validates the rendered manifests.
# - docker: build each image target of deploy/Dockerfile, and check compose.yaml (and the TLS
#   override) with `docker compose config`.
#
# Where a tool is missing, or the docker CLI has no engine to talk to, it says so and skips
# that part: CI has neither, and `make test` checks what can be checked without them.
set -euo pipefail
cd "$(dirname "$0")/.."

chart=helm/vectimus
targets=(gateway evaluator receipt-signer audit-sink)
# The default values (""), then each values file of the chart's ci/.
value_files=("")
for file in "$chart"/ci/*.yaml; do
  value_files+=("${file#"$chart"/}")
done
tag=${VECTIMUS_TAG:-local}
failed=0

step() { printf '\n== %s\n' "$*"; }
fail() { echo "FAILED: $*" >&2; failed=1; }

if command -v helm >/dev/null 2>&1; then
  step "helm lint"
  for values in "${value_files[@]}"; do
    if [ -n "$values" ]; then
      helm lint --strict "$chart" -f "$chart/$values" || fail "helm lint -f $values"
    else
      helm lint --strict "$chart" || fail "helm lint (default values)"
    fi
  done

  step "helm template"
  for values in "${value_files[@]}"; do
    out=$(mktemp)
    args=(template vectimus "$chart" --namespace vectimus)
    [ -n "$values" ] && args+=(-f "$chart/$values")
    if helm "${args[@]}" >"$out"; then
      echo "rendered ${values:-default values}: $(grep -c '^kind:' "$out") objects"
      if command -v kubeconform >/dev/null 2>&1; then
        kubeconform -strict -summary "$out" || fail "kubeconform (${values:-default values})"
      fi
    else
      fail "helm template ${values:-(default values)}"
    fi
    rm -f "$out"
  done

  step "helm refuses bad values"
  for bad in gateway.replicas=0 image.pullPolicy=Sometimes securityContext.readOnlyRootFilesystem=false \
             redis.internal.enabled=false gateway.tls.enabled=true \
             policies.bundle.url=ftp://policies.example.com/b.json \
             policies.bundle.url=https://policies.example.com/b.json policies.bundle.pollSeconds=0; do
    if helm template vectimus "$chart" --set "$bad" >/dev/null 2>&1; then
      fail "helm accepted --set $bad"
    else
      echo "refused: --set $bad"
    fi
  done
else
  step "helm is not on PATH: skipping helm lint and helm template (make test validated values.yaml against values.schema.json)"
fi

if command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
  step "docker build"
  for target in "${targets[@]}"; do
    docker build -f deploy/Dockerfile --target "$target" -t "vectimus-$target:$tag" . \
      || fail "docker build --target $target"
  done

  if docker compose version >/dev/null 2>&1; then
    step "docker compose config"
    # A placeholder key: config only checks the file, nothing starts.
    VECTIMUS_API_KEYS=${VECTIMUS_API_KEYS:-check:placeholder-for-docker-compose-config} \
      docker compose -f compose.yaml config --quiet || fail "docker compose config"
    VECTIMUS_API_KEYS=${VECTIMUS_API_KEYS:-check:placeholder-for-docker-compose-config} \
      docker compose -f compose.yaml -f compose.tls.yaml config --quiet \
      || fail "docker compose config with compose.tls.yaml"
  else
    step "docker compose is not available: skipping docker compose config"
  fi
elif command -v docker >/dev/null 2>&1; then
  step "the docker CLI is on PATH but no Docker engine answers: skipping the image builds"
else
  step "docker is not on PATH: skipping the image builds"
fi

if [ "$failed" -ne 0 ]; then
  echo >&2
  echo "deploy-check: FAILED" >&2
  exit 1
fi
echo
echo "deploy-check: done"
