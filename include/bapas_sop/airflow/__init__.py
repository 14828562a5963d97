"""Airflow building blocks of bapas-sop: a hook, triggers, sensors, operators and timetables.

Kept in the installed package (not in ``dags/``) because Airflow's triggerer imports trigger
classes by dotted path and does not put the DAG folder on ``sys.path``.
"""
