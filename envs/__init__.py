"""Gymnasium environments of mailenv (installed as `mailenv.envs`)."""
