"""The versioned HTTP API (django-ninja): one router per context, problem-details errors."""
