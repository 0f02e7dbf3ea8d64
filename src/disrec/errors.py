"""Exceptions that carry a message meant for the person running the pipeline."""


class StudyError(Exception):
    """Base class: the message names the file, key or value and what was expected."""


class ConfigError(StudyError):
    """The configuration does not match the schema or is inconsistent."""


class DataSourceError(StudyError):
    """Raw data could not be obtained (missing file, unreachable URL, bad archive)."""


class ChecksumError(DataSourceError):
    """A file's digest differs from the one given in the configuration."""


class DataFormatError(StudyError):
    """A raw file does not follow its official format."""


class EmptyDatasetError(StudyError):
    """Filtering left no interactions."""


class ClusterError(StudyError):
    """The cluster cannot run a job as the profile asks for it."""
