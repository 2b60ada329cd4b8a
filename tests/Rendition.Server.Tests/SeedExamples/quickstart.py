import os
import time
import requests

API_KEY = os.environ["RENDERIO_API_KEY"]
BASE_URL = "https://api.renderio.dev"

# 1. Submit the command
submit_response = requests.post(
    f"{BASE_URL}/api/v1/run-ffmpeg-command",
    headers={
        "Content-Type": "application/json",
        "X-API-KEY": API_KEY,
    },
    json={
        "input_files": {"in_video": "https://example.com/sample.mp4"},
        "output_files": {"out_video": "converted.webm"},
        "ffmpeg_command": "ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}",
    },
)

command_id = submit_response.json()["command_id"]
print(f"Command ID: {command_id}")

# 2. Poll for results
while True:
    poll_response = requests.get(
        f"{BASE_URL}/api/v1/commands/{command_id}",
        headers={"X-API-KEY": API_KEY},
    )
    result = poll_response.json()
    print(f"Status: {result['status']}")

    if result["status"] in ("SUCCESS", "FAILED"):
        break
    time.sleep(2)

# 3. Download the output
if result["status"] == "SUCCESS":
    file_url = result["output_files"]["out_video"]["storage_url"]
    print(f"Download URL: {file_url}")

    download = requests.get(file_url)
    with open("converted.webm", "wb") as f:
        f.write(download.content)
    print("File saved to converted.webm")
