#!/bin/sh
# The compose training service: render a corpus if none, train (tracked in MLflow at
# $MLFLOW_TRACKING_URI, registered as $MODEL_NAME@candidate), then export the model for
# TF Serving into /exports/$MODEL_NAME/N (the serving container's /models).
set -eu
RECIPE="${RECIPE:-default}"
MODEL_NAME="${MODEL_NAME:-drumaae}"
CORPUS="${CORPUS:-/data/corpus}"
RUN_DIR="${RUN_DIR:-/runs/train}"

if [ ! -f "$CORPUS/manifest.json" ]; then
  drumaae corpus render --out "$CORPUS" --bars "${CORPUS_BARS:-5000}" --seed "${SEED:-0}"
fi
set -- --recipe "$RECIPE" --data "$CORPUS" --out "$RUN_DIR" \
       --register-as "$MODEL_NAME" --alias candidate
if [ -n "${EPOCHS:-}" ]; then set -- "$@" --epochs "$EPOCHS"; fi
# RESUME=1 continues an interrupted run in $RUN_DIR from its last finished epoch.
if [ "${RESUME:-0}" = "1" ]; then set -- "$@" --resume; fi
drumaae train "$@"
drumaae export /exports --model "$RUN_DIR/model.keras" --name "$MODEL_NAME"
