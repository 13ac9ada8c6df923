"""The foundation every layer shares, free of any provider SDK: the clouds, configuration errors, strict models
and validated value types, Kubernetes label names, and the cron parser.

Layering (imports point down only): base <- catalog <- config <- components (aws, gcp, k8s) <- compositions.
"""
