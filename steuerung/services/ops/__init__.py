"""Operations: health check, request logs, backup and restore, process supervision."""
