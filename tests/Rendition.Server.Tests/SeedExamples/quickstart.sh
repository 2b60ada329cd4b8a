# Submit
COMMAND_ID=$(curl -s -X POST https://renderio.dev/api/v1/run-ffmpeg-command \
  -H "Content-Type: application/json" \
  -H "X-API-KEY: $RENDERIO_API_KEY" \
  -d '{
    "input_files": { "in_video": "https://example.com/sample.mp4" },
    "output_files": { "out_video": "converted.webm" },
    "ffmpeg_command": "ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}"
  }' | jq -r '.command_id')

# Poll
while true; do
  RESULT=$(curl -s https://renderio.dev/api/v1/commands/$COMMAND_ID \
    -H "X-API-KEY: $RENDERIO_API_KEY")
  STATUS=$(echo $RESULT | jq -r '.status')
  echo "Status: $STATUS"
  if [ "$STATUS" = "SUCCESS" ] || [ "$STATUS" = "FAILED" ]; then break; fi
  sleep 2
done

# Download
DOWNLOAD_URL=$(echo $RESULT | jq -r '.output_files.out_video.storage_url')
curl -o converted.webm "$DOWNLOAD_URL"
