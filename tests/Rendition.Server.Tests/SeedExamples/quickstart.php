<?php
$apiKey = getenv("RENDERIO_API_KEY");
$baseUrl = "https://api.renderio.dev";

// 1. Submit the command
$ch = curl_init("$baseUrl/api/v1/run-ffmpeg-command");
curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
curl_setopt($ch, CURLOPT_POST, true);
curl_setopt($ch, CURLOPT_HTTPHEADER, [
    "Content-Type: application/json",
    "X-API-KEY: $apiKey",
]);
curl_setopt($ch, CURLOPT_POSTFIELDS, json_encode([
    "input_files" => ["in_video" => "https://example.com/sample.mp4"],
    "output_files" => ["out_video" => "converted.webm"],
    "ffmpeg_command" => "ffmpeg -i {{in_video}} -c:v libvpx-vp9 -crf 30 -b:v 0 {{out_video}}",
]));
$submitResult = json_decode(curl_exec($ch), true);
curl_close($ch);

$commandId = $submitResult["command_id"];
echo "Command ID: $commandId\n";

// 2. Poll for results
while (true) {
    $ch = curl_init("$baseUrl/api/v1/commands/$commandId");
    curl_setopt($ch, CURLOPT_RETURNTRANSFER, true);
    curl_setopt($ch, CURLOPT_HTTPHEADER, ["X-API-KEY: $apiKey"]);
    $result = json_decode(curl_exec($ch), true);
    curl_close($ch);

    echo "Status: " . $result["status"] . "\n";
    if (in_array($result["status"], ["SUCCESS", "FAILED"])) break;
    sleep(2);
}

// 3. Download the output
if ($result["status"] === "SUCCESS") {
    $fileUrl = $result["output_files"]["out_video"]["storage_url"];
    echo "Download URL: $fileUrl\n";

    file_put_contents("converted.webm", file_get_contents($fileUrl));
    echo "File saved to converted.webm\n";
}
