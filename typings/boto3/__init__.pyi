# Local stubs: only the boto3 surface routeapi uses (the bedrock-runtime client). boto3 ships no type information.
from . import session as session
