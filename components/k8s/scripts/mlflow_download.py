"""KServe storage initializer for models:/ URIs: downloads a registered MLflow model into the predictor's model
directory, through the tracking server (its artifact proxy), so the predictor needs MLflow credentials and no
access to the artifact bucket.

KServe runs it as the predictor's init container with two arguments: the storage URI and /mnt/models. It reads
MLFLOW_TRACKING_URI and, with basic auth on, MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD.
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: mlflow_download <models:/name/version | models:/name@alias> <destination>", file=sys.stderr)
        return 2
    source, destination = argv[1], argv[2]
    if not os.environ.get("MLFLOW_TRACKING_URI"):
        print("MLFLOW_TRACKING_URI is not set", file=sys.stderr)
        return 2
    import mlflow.artifacts

    os.makedirs(destination, exist_ok=True)
    path = mlflow.artifacts.download_artifacts(artifact_uri=source, dst_path=destination)
    print(f"downloaded {source} to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
