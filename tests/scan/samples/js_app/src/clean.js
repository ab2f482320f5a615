// This file talks about Twilio but never uses it: new Client(token), conversation.sendMessage("hi"),
// import { Client } from "@twilio/conversations"; require("twilio-video").connect(token)
/* Twilio.Video.connect(token, { name: "room" }) and AccessToken.ChatGrant in a block comment */
const notes = [
  "import { Client } from '@twilio/conversations'",
  'require("twilio")',
  `Twilio.Video.connect(token, { name: "standup" })`,
  "conversation.on('messageAdded', handler)",
];
const Twilio = { Video: { connect: () => null } }; // a local object named Twilio hides the CDN global
Twilio.Video.connect("token");

export function describe(conversation) {
  conversation.sendMessage(notes.join("\n")); // not known to be a Twilio object
  return notes.length;
}
