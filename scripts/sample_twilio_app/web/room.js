import Video from "twilio-video";

export async function joinStandup(token, container) {
  const room = await Video.connect(token, { name: "standup", dominantSpeaker: true });
  room.on("participantConnected", (participant) => {
    participant.on("trackSubscribed", (track) => container.appendChild(track.attach()));
  });
  return room;
}
