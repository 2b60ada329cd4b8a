const API_KEY = process.env.RENDERIO_API_KEY;
const BASE_URL = "https://api.renderio.dev";

// 1. Submit the command
const submitResponse = await fetch(`${BASE_URL}/api/v1/run-ffmpeg-command`, {
  method: "POST",
  headers: {
    "Content-Type": "application/json",
    "X-API-KEY": API_KEY,
  },
  body: JSON.stringify({
    input_files: { in_video: "https://example.com/sample.mp4" },
    output_files: { out_video: "converted.webm" },
    ffmpeg_command:
      "ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}",
  }),
});

const { command_id } = await submitResponse.json();
console.log("Command ID:", command_id);

// 2. Poll for results
let result;
while (true) {
  const pollResponse = await fetch(
    `${BASE_URL}/api/v1/commands/${command_id}`,
    { headers: { "X-API-KEY": API_KEY } },
  );
  result = await pollResponse.json();
  console.log("Status:", result.status);

  if (result.status === "SUCCESS" || result.status === "FAILED") break;
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

// 3. Download the output
if (result.status === "SUCCESS") {
  const fileUrl = result.output_files.out_video.storage_url;
  console.log("Download URL:", fileUrl);
}
