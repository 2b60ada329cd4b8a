const API_KEY: string = process.env.RENDERIO_API_KEY!;
const BASE_URL = "https://api.renderio.dev";

interface SubmitResponse {
  command_id: string;
}

interface OutputFile {
  file_id: string;
  storage_url: string;
  status: string;
  filename: string;
  size_mbytes: number;
}

interface CommandResult {
  command_id: string;
  status: "QUEUED" | "PROCESSING" | "SUCCESS" | "FAILED";
  output_files: Record<string, OutputFile>;
}

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

const { command_id } = (await submitResponse.json()) as SubmitResponse;
console.log("Command ID:", command_id);

// 2. Poll for results
let result: CommandResult;
while (true) {
  const pollResponse = await fetch(
    `${BASE_URL}/api/v1/commands/${command_id}`,
    { headers: { "X-API-KEY": API_KEY } },
  );
  result = (await pollResponse.json()) as CommandResult;
  console.log("Status:", result.status);

  if (result.status === "SUCCESS" || result.status === "FAILED") break;
  await new Promise((resolve) => setTimeout(resolve, 2000));
}

// 3. Download the output
if (result.status === "SUCCESS") {
  const fileUrl = result.output_files.out_video.storage_url;
  console.log("Download URL:", fileUrl);
}
