"""The cost model: what a Plan's resources cost per month, idle, expected (with the stack's usage assumptions) and
at peak, from the price catalog's facts.

- :mod:`.estimate`: an estimate, the stack it is read in (:class:`~.estimate.CostContext`), money;
- :mod:`.estimators`: which estimator prices which type (one table), what is free, :func:`~.estimators.estimate`;
- :mod:`.aws`, :mod:`.gcp`, :mod:`.kubernetes`: the estimators of cloud resources and Kubernetes objects;
- :mod:`.workloads`: what runs on the cluster's GPU pools (notebooks, Ray, batch jobs, model servers);
- :mod:`.pricing`: prices several estimators read the same way (services, nodes, load balancers);
- :mod:`.usage`: the usage assumptions (``stacks/usage.<stack>.yaml``);
- :mod:`.taggable`: which types carry cost tags.
"""
