# expect: violation
import subprocess


def main(ctx):
    return subprocess.run(["sh", "-c", "echo escaped"], capture_output=True).stdout.decode()
