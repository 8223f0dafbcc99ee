"""Most viewed: CloudFront access logs in, per-hour view counts, a ranked JSON Feed out."""
