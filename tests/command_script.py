"""What a test's subprocess script runs to start ``initgrade`` the way its entry point does, and keep
the exit status (``launch.run``: the command without the ending that ``os._exit``s), so the script can
print what it counted afterwards. The script imports ``sys`` and sets up its counting first."""

RUN_THE_COMMAND = '''
from autograder import launch
sys.argv = ["initgrade", *sys.argv[1:]]
status = 0
try:
    launch.run()
except SystemExit as e:
    status = e.code
'''
