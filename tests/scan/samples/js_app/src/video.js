import * as TwilioVideo from "twilio-video"; // expect: PKG-VIDEO

export async function joinRoom(token, roomName, container) {
  const localVideo = await TwilioVideo.createLocalVideoTrack({ width: 640 }); // expect: VIDEO-L1
  container.appendChild(localVideo.attach()); // expect: VIDEO-L9
  const room = await TwilioVideo.connect(token, { // expect: VIDEO-V1
    name: roomName, // expect: VIDEO-J1
    tracks: [localVideo], // expect: VIDEO-J5
    dominantSpeaker: true, // expect: VIDEO-Q1
    preferredVideoCodecs: ["VP8"], // expect: VIDEO-Q6
  });
  room.participants.forEach(showParticipant); // expect: VIDEO-J12
  room.on("participantConnected", showParticipant); // expect: VIDEO-RP1
  room.on("dominantSpeakerChanged", (speaker) => highlight(speaker.identity)); // expect: VIDEO-Q1, VIDEO-RP2
  room.once("disconnected", () => localVideo.stop()); // expect: VIDEO-J10, VIDEO-L10
  return room;
}

function showParticipant(participant) {
  participant.on("trackSubscribed", (track) => { // expect: VIDEO-RP3
    document.body.appendChild(track.attach()); // expect: VIDEO-RP3
  });
}

function highlight(identity) {
  document.title = identity;
}

export async function watch(token) {
  const room = await TwilioVideo.connect(token); // expect: VIDEO-V1
  const onLeave = (participant) => console.log(participant.sid); // expect: VIDEO-RP2
  room.on("participantDisconnected", onLeave); // expect: VIDEO-RP1
  return new Watcher();
}

class Watcher {
  async start(token) {
    this.room = await TwilioVideo.connect(token); // expect: VIDEO-V1
    this.room.on("dominantSpeakerChanged", this.onSpeaker); // expect: VIDEO-Q1
  }

  onSpeaker(speaker) {
    document.title = speaker.identity; // expect: VIDEO-RP2
  }
}

export async function joinAndLeave(token) {
  const room = await TwilioVideo.connect(token, { region: "de1" }); // expect: VIDEO-V1, VIDEO-Q7
  leave(room);
}

function leave(room) {
  room.disconnect(); // expect: VIDEO-J7
}
