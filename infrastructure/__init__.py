"""The CDK app that deploys the service (``cdk synth``/``cdk deploy`` from this directory)."""
