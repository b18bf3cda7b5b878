"""The protocol layer: requests parsed and responses serialized from botocore's service models.

It names no service: everything it knows about a service comes from that service's model.
"""
