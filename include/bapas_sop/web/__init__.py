"""The forms web app and admin pages, mounted in Airflow's API server by the plugin."""
