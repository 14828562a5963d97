"""Pure domain logic of each SOP (pandas and rules, no Airflow), unit-tested on its own."""
