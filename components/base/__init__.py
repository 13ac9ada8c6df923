"""The foundation every layer shares, free of any provider SDK: the clouds, configuration errors, strict models
and validated value types, Kubernetes label names, the cron parser, and package exports that load on first use
(``lazy.py``).

Layering (imports point down only): base <- catalog <- config <- components (aws, gcp, k8s) <- compositions.
"""
