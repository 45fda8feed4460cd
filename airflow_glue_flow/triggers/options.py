"""The provider's options for the triggerer process, in the ``[glue_flow]`` section of Airflow's config.

Both change more than one wait, so both are off unless the deployment turns them on (README, "The
triggerer" gives the measurements): in ``airflow.cfg`` (``[glue_flow] merged_checks = True``) or the
environment (``AIRFLOW__GLUE_FLOW__MERGED_CHECKS=True``). ``get_provider_info()`` declares them.
"""

from __future__ import annotations

#: The provider's section of Airflow's configuration.
SECTION = "glue_flow"
#: Pause the garbage collector while a wait's first imports and client builds run, then ``gc.freeze()``
#: (:mod:`~airflow_glue_flow.triggers.gc_freeze`): the whole triggerer process, every provider's triggers.
GC_FREEZE = "triggerer_gc_freeze"
#: Merge the checks that fall due in one turn of the loop into one Glue call
#: (:mod:`~airflow_glue_flow.triggers.merged_checks`); needs ``glue:BatchGetCrawlers`` for crawlers.
MERGED_CHECKS = "merged_checks"

#: Each option's description and default, as ``get_provider_info()["config"]`` declares them.
OPTIONS: dict[str, tuple[str, bool]] = {
    GC_FREEZE: (
        "Pause the garbage collector while a deferred Glue wait first imports its modules and builds its "
        "AWS clients in the triggerer, then move every object to the permanent generation (gc.freeze()), "
        "so that those one-time loads never set off a full collection that stalls the triggerer's event "
        "loop. It acts on the whole triggerer process, the triggers of every provider included.",
        False,
    ),
    MERGED_CHECKS: (
        "Merge the checks of Glue waits that fall due in the same turn of the triggerer's event loop into "
        "one Glue call (GetJobRuns for runs of one job, BatchGetCrawlers for crawlers): less CPU when "
        "many waits defer together, more when their checks are spread out. Crawler waits then need the "
        "glue:BatchGetCrawlers permission (without it they fall back to one call each).",
        False,
    ),
}


def option_enabled(name: str) -> bool:
    """Whether the boolean option ``name`` of :data:`SECTION` is on in Airflow's configuration.

    :param name: :data:`GC_FREEZE` or :data:`MERGED_CHECKS`.
    """
    from airflow_glue_flow.compat import conf

    return conf.getboolean(SECTION, name, fallback=OPTIONS[name][1])
