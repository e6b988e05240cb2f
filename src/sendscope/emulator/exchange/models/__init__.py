"""The cmdlets' state and rules, split by resource; nothing here sees a request."""
