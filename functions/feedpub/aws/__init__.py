"""Adapters, one per AWS service; the only modules (with the handlers) that import boto3."""
