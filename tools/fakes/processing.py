"""What fakes of networks that process an upload before it can be posted
(LinkedIn's and Pinterest's videos) share: the status a read of the upload
reports."""


def status(upload, *, arrived: bool, slow_checks: int, waiting: str, processing: str, done: str) -> str:
    """`waiting` until the file has arrived, then `processing` for the first
    `slow_checks` reads (counted in `upload.checks`), then `done`."""
    if not arrived:
        return waiting
    if upload.checks < slow_checks:
        upload.checks += 1
        return processing
    return done
